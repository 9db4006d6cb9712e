import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

/** Parent pid of every process we can see, from /proc/<pid>/stat. */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may contain spaces and parentheses: fields start after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited meanwhile
    }
  }
  return children;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/**
 * The Node process that runs `entry` under `rootPid` (npm -> sh -> tsx -> node): the deepest
 * descendant whose command line names the entry file. npm and tsx's launcher are not the app.
 */
export function findAppProcess(rootPid: number, entry: string): number | undefined {
  const children = parentMap();
  let found: number | undefined;
  const walk = (pid: number): void => {
    if (cmdline(pid).includes(entry)) found = pid;
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(rootPid);
  return found;
}

function statusField(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/**
 * Peak resident memory of one process, measured per scenario: `reset()` clears the kernel's
 * high-water mark (writing 5 to clear_refs) so `peakBytes()` is the peak since then. Where the
 * reset is not allowed, it falls back to sampling VmRSS every 50 ms.
 */
export class ProcessMemory {
  private sampled = 0;
  private timer: NodeJS.Timeout | undefined;
  private resettable = true;

  constructor(readonly pid: number) {}

  reset(): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      this.resettable = false;
    }
    this.sampled = statusField(this.pid, 'VmRSS');
    if (!this.resettable && !this.timer) {
      this.timer = setInterval(() => {
        try {
          this.sampled = Math.max(this.sampled, statusField(this.pid, 'VmRSS'));
        } catch {
          this.stop();
        }
      }, 50);
    }
  }

  peakBytes(): number {
    try {
      return this.resettable ? statusField(this.pid, 'VmHWM') : Math.max(this.sampled, statusField(this.pid, 'VmRSS'));
    } catch {
      return this.sampled;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in seconds; 0 once it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** utime, stime, cutime and cstime (fields 14-17 of stat(5)): a process's CPU and its reaped children's. */
function statTicks(pid: number): { own: number; children: number; ppid: number; comm: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { own: Number(fields[11]) + Number(fields[12]), children: Number(fields[13]) + Number(fields[14]), ppid: Number(fields[1]), comm };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by the local Postgres and Redis servers (every process of theirs, plus
 * the children Postgres has reaped: finished backends), and by this process with its descendants
 * (the baselines' child processes, live or finished) except the `exclude`d ones (the apps, which
 * are measured on their own). Servers that are not local processes read as 0.
 */
export function serverCpuSeconds(exclude: ReadonlySet<number>): { postgres: number; redis: number; bench: number } {
  const ticks = { postgres: 0, redis: 0 };
  const postgresPids = new Set<number>();
  const stats = new Map<number, NonNullable<ReturnType<typeof statTicks>>>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statTicks(Number(entry));
    if (!stat) continue;
    stats.set(Number(entry), stat);
    if (stat.comm === 'postgres') postgresPids.add(Number(entry));
  }
  for (const [pid, stat] of stats) {
    if (stat.comm === 'redis-server') ticks.redis += stat.own + stat.children;
    if (postgresPids.has(pid)) {
      // The postmaster (parent not a postgres process) also carries its reaped backends' CPU.
      ticks.postgres += stat.own + (postgresPids.has(stat.ppid) ? 0 : stat.children);
    }
  }
  // A child that exits between two readings moves from `own` (live) to its parent's `children`.
  const isDescendant = (pid: number): boolean => {
    for (let stat = stats.get(pid); stat; stat = stats.get(stat.ppid)) if (stat.ppid === process.pid) return true;
    return false;
  };
  let bench = 0;
  for (const [pid, stat] of stats) {
    if (pid === process.pid) bench += stat.own + stat.children;
    else if (!exclude.has(pid) && isDescendant(pid)) bench += stat.own;
  }
  return {
    postgres: ticks.postgres / CLOCK_TICKS_PER_SECOND,
    redis: ticks.redis / CLOCK_TICKS_PER_SECOND,
    bench: bench / CLOCK_TICKS_PER_SECOND,
  };
}
