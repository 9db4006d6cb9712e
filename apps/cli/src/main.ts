import { runCli } from './run-cli';

void runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  interactive: Boolean(process.stdout.isTTY),
}).then((code) => {
  process.exitCode = code;
});
