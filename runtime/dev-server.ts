import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { findTemporalCli, TemporalCliMissingError } from './temporal-cli.ts';

export interface DevServerOptions {
  cliPath: string | undefined;
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  log?: (msg: string) => void;
  /** Keep history in DATA_DIR (default) or in memory (tests). */
  persistent?: boolean;
  /** Serve the Web UI on uiPort (default true). */
  ui?: boolean;
}

export interface DevServer {
  address: string;
  uiUrl: string | null;
  /** False when a server was already listening and we only connected to it. */
  owned: boolean;
  /** The server's process id, when we started it. */
  pid?: number;
  stop(): Promise<void>;
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`the Temporal dev server exited with code ${child.exitCode}`);
    if (await portOpen(port)) return;
    await sleep(200);
  }
  throw new Error(`the Temporal dev server did not listen on port ${port} within ${timeoutMs / 1000}s`);
}

/**
 * Last resort where no CLI is installed: the Temporal SDK downloads one (needs the internet) and
 * runs it with the same options.
 */
async function downloadedDevServer(opts: DevServerOptions, tried: string[]): Promise<DevServer> {
  opts.log?.('no Temporal CLI found; asking the Temporal SDK to download one');
  try {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download' },
        ip: '127.0.0.1',
        port: opts.port,
        namespace: opts.namespace,
        ui: opts.ui !== false,
        ...(opts.ui !== false ? { uiPort: opts.uiPort } : {}),
        ...(opts.persistent !== false ? { dbFilename: path.resolve(opts.dataDir, 'temporal.db') } : {}),
      },
    });
    return { address: env.address, uiUrl: opts.ui === false ? null : `http://127.0.0.1:${opts.uiPort}`, owned: true, stop: () => env.teardown() };
  } catch (err) {
    throw new TemporalCliMissingError([...tried, `download by the Temporal SDK (${(err as Error).message.split('\n')[0]})`]);
  }
}

/**
 * Runs `temporal server start-dev` with its SQLite file under DATA_DIR, so jobs survive a full
 * stop. If something already listens on the port (an earlier start left running), it is reused.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const address = `127.0.0.1:${opts.port}`;
  const uiUrl = `http://127.0.0.1:${opts.uiPort}`;
  if (await portOpen(opts.port)) {
    opts.log?.(`a Temporal server already listens on ${address}; using it`);
    return { address, uiUrl, owned: false, stop: async () => undefined };
  }
  const cli = findTemporalCli(opts.cliPath, opts.log);
  if (!cli.path) return downloadedDevServer(opts, cli.tried);
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--namespace', opts.namespace, '--log-level', 'error'];
  args.push(...(opts.ui === false ? ['--headless'] : ['--ui-port', String(opts.uiPort)]));
  if (opts.persistent !== false) {
    mkdirSync(opts.dataDir, { recursive: true });
    args.push('--db-filename', path.resolve(opts.dataDir, 'temporal.db'));
  }
  // Its own process group: Ctrl-C in our terminal reaches us first, and we stop it in order.
  const child = spawn(cli.path, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-4000)));
  try {
    await waitForPort(opts.port, child, 60_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    address,
    uiUrl: opts.ui === false ? null : uiUrl,
    owned: true,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
    },
  };
}
