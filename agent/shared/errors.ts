/**
 * The errors more than one layer throws or catches. Kept here, importing nothing, so that a module
 * can throw or recognise one without depending on the module that defines the setting or the file it
 * is about (export/ and journal/ throw ConfigError; command.ts and the metrics process catch both).
 */

/** A bad value; the message names the setting and where the value came from. */
export class ConfigError extends Error {}

/** A TLS file that cannot be read or used; the message names the file and the problem. */
export class TlsError extends Error {}

/** `fibre-agent blocks` was given a bad option: a usage problem (exit 2), unlike a journal that cannot be read (exit 1). */
export class BlocksUsageError extends Error {}
