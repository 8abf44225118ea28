/**
 * The metrics process's executable (metrics-process.ts is the process itself), started by the
 * supervisor. V8's settings come first, before the modules that grow the heap load.
 */
import '../gc-tuning.js';

void import('./metrics-process.js');
