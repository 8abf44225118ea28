/**
 * Splits a byte stream into lines, never holding more than maxLength bytes of one line: bpftrace's
 * output is trusted for its format but not for its size.
 */
export class LineSplitter {
  private partial = '';
  private discarding = false;

  constructor(
    private readonly maxLength: number,
    private readonly onLine: (line: string) => void,
    private readonly onTooLong: () => void,
  ) {}

  /** Drops a started line (the stream ended); true if there was one. */
  discardPartial(): boolean {
    const had = this.partial !== '' || this.discarding;
    this.partial = '';
    this.discarding = false;
    return had;
  }

  push(chunk: Buffer): void {
    // latin1 maps each byte to one char, so lengths are byte counts and no byte is lost.
    const text = chunk.toString('latin1');
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      start = nl + 1;
      if (this.discarding) {
        this.discarding = false;
        this.partial = '';
        continue;
      }
      const line = this.partial + piece;
      this.partial = '';
      if (line.length > this.maxLength) this.onTooLong();
      else this.onLine(line);
    }
    if (start < text.length && !this.discarding) {
      this.partial += text.slice(start);
      if (this.partial.length > this.maxLength) {
        this.partial = '';
        this.discarding = true;
        this.onTooLong();
      }
    }
  }
}
