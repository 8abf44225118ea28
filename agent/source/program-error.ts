/** A program that cannot be generated for this binary: the supervisor refuses the attempt with its message. */
export class ProgramError extends Error {}
