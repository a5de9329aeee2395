/**
 * Inference worker entry (bundled to dist/main/inference-worker.js). Runs as an
 * Electron utilityProcess (messages over process.parentPort) or as a
 * child_process.fork child under Node (process.send): same protocol either way.
 * Requests are validated and handled concurrently; each answer repeats its job id.
 */
import { getPriority, setPriority } from 'node:os';
import { InferenceEngine } from './engine.js';
import { ProtocolError, parseWorkerRequest, type WorkerRequest, type WorkerResponse } from './protocol.js';

interface Port {
  post(message: WorkerResponse): void;
  onMessage(callback: (message: unknown) => void): void;
}

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
}

function connect(): Port {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return { post: (m) => parentPort.postMessage(m), onMessage: (cb) => parentPort.on('message', (e) => cb(e.data)) };
  }
  if (process.send) {
    // The station is gone: nothing left to work for.
    process.on('disconnect', () => process.exit(0));
    return { post: (m) => process.send!(m), onMessage: (cb) => process.on('message', cb) };
  }
  throw new Error('inference worker: no parent to talk to (start it with utilityProcess.fork or child_process.fork)');
}

const port = connect();
let engine: Promise<InferenceEngine> | null = null;

function log(level: 'info' | 'warn' | 'error', message: string): void {
  port.post({ type: 'log', level, message });
}

process.on('uncaughtException', (err) => {
  log('error', `inference worker crashed: ${err.stack ?? err.message}`);
  process.exit(70);
});

async function handle(req: WorkerRequest): Promise<WorkerResponse> {
  switch (req.type) {
    case 'init': {
      if (engine) throw new ProtocolError('init sent twice');
      if (req.niceness) {
        // Before any session exists: ONNX Runtime's pool threads inherit the priority of the thread creating them.
        try {
          setPriority(Math.min(19, getPriority() + req.niceness));
        } catch (err) {
          log('warn', `cannot lower the worker's CPU priority to niceness ${req.niceness}: ${(err as Error).message}`);
        }
      }
      engine = InferenceEngine.load(req);
      const e = await engine;
      for (const p of e.ready(req.id, process.pid).problems) log('error', p.message);
      return e.ready(req.id, process.pid);
    }
    case 'classify':
      return (await ready()).classify(req);
    case 'restore':
      return (await ready()).restore(req);
    case 'cancel':
      (await ready()).cancel(req.jobId);
      return { type: 'ack', id: req.id };
    case 'shutdown':
      if (engine) await (await engine).close();
      setImmediate(() => process.exit(0));
      return { type: 'ack', id: req.id };
  }
}

function ready(): Promise<InferenceEngine> {
  if (!engine) throw new ProtocolError('the worker was not initialised (send init first)');
  return engine;
}

port.onMessage((raw) => {
  let req: WorkerRequest;
  try {
    req = parseWorkerRequest(raw);
  } catch (err) {
    const id = (raw as { id?: unknown } | null)?.id;
    if (typeof id === 'number' && Number.isInteger(id)) port.post({ type: 'error', id, message: `invalid request: ${(err as Error).message}` });
    else log('error', `invalid request ignored: ${(err as Error).message}`);
    return;
  }
  handle(req).then(
    (res) => port.post(res),
    (err: Error) => port.post({ type: 'error', id: req.id, message: err.message }),
  );
});
