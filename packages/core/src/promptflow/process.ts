/**
 * Child processes for promptflow. `pf run create` forks line workers (multiprocessing) and may
 * start helpers of its own, so killing only the pid we spawned would orphan them. Each child is
 * therefore started as the leader of a new process group (detached) and the whole group is
 * signalled: on cancellation (SIGTERM, then SIGKILL after a grace period) and, quietly, after a
 * normal exit, so nothing of a run outlives it.
 */
import { spawn } from 'node:child_process';

export interface ProcessResult {
  exitCode: number | null;
  /** The signal that ended the process, if one did. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The AbortSignal fired and we stopped the process group. */
  canceled: boolean;
  durationMs: number;
}

export interface RunProcessOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to stdin, then stdin is closed. Secrets travel this way, never in argv. */
  stdin?: string;
  signal?: AbortSignal;
  /** Between SIGTERM and SIGKILL on cancellation. */
  killGraceMs?: number;
  /** Each complete line of stderr as it arrives (progress logs). */
  onStderrLine?: (line: string) => void;
}

const DEFAULT_KILL_GRACE_MS = 5_000;
/** Output kept per stream; promptflow's logs can be long and only the end matters for errors. */
const MAX_CAPTURE_CHARS = 4 * 1024 * 1024;

export function runProcess(command: string, args: string[], options: RunProcessOptions): Promise<ProcessResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ exitCode: null, signal: null, stdout: '', stderr: '', canceled: true, durationMs: 0 });
      return;
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: process.platform !== 'win32',
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const pid = child.pid;
    let stdout = '';
    let stderr = '';
    let pendingStderrLine = '';
    let canceled = false;
    let killTimer: NodeJS.Timeout | undefined;

    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout = keepTail(stdout + chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = keepTail(stderr + chunk);
      if (!options.onStderrLine) return;
      const lines = (pendingStderrLine + chunk).split('\n');
      pendingStderrLine = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onStderrLine(line.replace(/\r$/, ''));
    });
    // A child that exits before reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');

    const onAbort = () => {
      if (pid === undefined || canceled) return;
      canceled = true;
      signalGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(pid, 'SIGKILL'), options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
      killTimer.unref();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.once('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      if (pid !== undefined) {
        // Whatever the leader left behind in its group (a worker still shutting down, a detached
        // helper that did not start its own session) goes with it.
        signalGroup(pid, 'SIGKILL');
      }
      if (pendingStderrLine.trim()) options.onStderrLine?.(pendingStderrLine);
      resolve({ exitCode, signal, stdout, stderr, canceled, durationMs: Date.now() - started });
    });
  });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

function keepTail(text: string): string {
  return text.length > MAX_CAPTURE_CHARS ? text.slice(text.length - MAX_CAPTURE_CHARS) : text;
}
