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
