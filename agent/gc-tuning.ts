/**
 * V8 settings for the agent's node processes, imported by each executable before its other modules
 * load (agent/cli.ts, agent/privsep/worker.ts).
 *
 * V8's memory reducer shrinks a heap that grew and then went quiet: loading the agent's modules grows
 * each process's heap past the reducer's threshold, so some 8 s after start, once the agent is attached
 * and idle, it ran one collection in each process, about 20 ms of CPU in the supervisor and 25 to 30 ms
 * in the metrics process: half of what an idle agent cost in its first 30 s. Both heaps are small (5 to
 * 8 MB in use), so the reducer is told to leave small heaps alone. The price, measured: about 3 MB more
 * resident in the supervisor and 5 MB in the metrics process. The setting is read when the heap grows,
 * which is why it must come before the modules load; most flags are read once, when V8 starts, and do
 * nothing from here (`--no-memory-reducer` among them).
 *
 * A heap that grows under load still gets the reducer after its first full collection, with a single
 * collection instead of up to three.
 */
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-memory-reducer-for-small-heaps');
setFlagsFromString('--memory-reducer-single-gc');
