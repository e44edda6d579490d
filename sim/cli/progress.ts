import cliProgress from 'cli-progress';

/** Progress of a batch of runs, on stderr only: stdout carries the command's result (a table, JSON). */
export interface Progress {
  update(done: number): void;
  /** Ends the display (the bar's line, or the last plain line when it was not printed yet). */
  finish(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  env?: NodeJS.ProcessEnv;
  /** Wall clock in milliseconds (injected by tests). */
  now?: () => number;
}

/** A plain line is printed at each tenth of the batch, or after this long without one. */
const PLAIN_LINE_INTERVAL_MS = 5000;
const PLAIN_LINE_STEPS = 10;

/**
 * A cli-progress bar when stderr is a terminal and `CI` is unset; otherwise plain lines such as
 * "compare: 12/27 runs" (log files and CI consoles do not render carriage returns).
 */
export function startProgress(label: string, total: number, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const env = options.env ?? process.env;
  const interactive = stream.isTTY === true && !env.CI;
  return interactive ? barProgress(label, total, stream) : plainProgress(label, total, stream, options.now ?? Date.now);
}

function barProgress(label: string, total: number, stream: NodeJS.WritableStream): Progress {
  const bar = new cliProgress.SingleBar(
    { stream, format: `${label} [{bar}] {value}/{total} runs | {duration_formatted} elapsed, ETA {eta_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done) => bar.update(done),
    finish: () => bar.stop(),
  };
}

function plainProgress(label: string, total: number, stream: NodeJS.WritableStream, now: () => number): Progress {
  let lastPrinted = -1;
  let latest = 0;
  let lastTime = now();
  const print = (done: number): void => {
    stream.write(`${label}: ${done}/${total} runs\n`);
    lastPrinted = done;
    lastTime = now();
  };
  const step = Math.max(1, Math.ceil(total / PLAIN_LINE_STEPS));
  print(0);
  return {
    update(done) {
      latest = done;
      const crossedStep = Math.floor(done / step) > Math.floor(lastPrinted / step);
      if (done === total || crossedStep || now() - lastTime >= PLAIN_LINE_INTERVAL_MS) print(done);
    },
    finish() {
      if (latest !== lastPrinted) print(latest);
    },
  };
}
