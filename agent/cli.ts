#!/usr/bin/env node
/**
 * The fibre-agent executable (agent/command.ts is the command itself). V8's settings must be in place
 * before the command's modules load: loading them grows the heap, and that growth is what V8 acts on.
 */
import './gc-tuning.js';

void import('./command.js');
