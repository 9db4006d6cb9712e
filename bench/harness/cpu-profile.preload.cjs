/**
 * `node --cpu-prof` for the api and worker under `npm run start:*` (Node refuses --cpu-prof in
 * NODE_OPTIONS, but allows --require): loaded into every process of the tree, it profiles only the
 * one whose entry is an app's main.ts and writes <dir>/<app>-<pid>.cpuprofile on SIGTERM or exit (the
 * in-process inspector answers synchronously, so this works inside the 'exit' handler).
 */
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');

const entry = process.argv[1] || '';
const dir = process.env.BENCH_CPU_PROFILE_DIR;
const app = /apps\/(\w+)\/src\/main\.ts$/.exec(entry);
if (dir && app) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  let written = false;
  const write = () => {
    if (written) return;
    written = true;
    session.post('Profiler.stop', (error, result) => {
      if (error) return;
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${app[1]}-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  };
  // At SIGTERM already: the process tree is stopped by signals, and a second one may end it hard.
  process.once('SIGTERM', write);
  process.on('exit', write);
}
