/**
 * The Kafka wire format, just the primitives the few requests we speak ourselves need
 * (https://kafka.apache.org/protocol#protocol_types). Big-endian throughout; "compact" types are the
 * flexible-version encodings where lengths are unsigned varints holding length + 1 (0 = null).
 */

/** Raised when a response is shorter or stranger than its schema says: a bug or a version mismatch. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

/** Grows as it is written; `toBuffer()` returns exactly the bytes written. */
export class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.alloc(initialSize);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.alloc(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }

  /** int64 from a bigint, a safe integer, or a decimal string (offsets travel as strings in our API). */
  int64(v: bigint | number | string): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(BigInt(v), this.pos);
    this.pos += 8;
    return this;
  }

  unsignedVarint(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`unsigned varint out of range: ${v}`);
    // >>> keeps the arithmetic unsigned for values above 2^31.
    let x = v >>> 0;
    while ((x & ~0x7f) !== 0) {
      this.int8Raw((x & 0x7f) | 0x80);
      x >>>= 7;
    }
    return this.int8Raw(x);
  }

  private int8Raw(byte: number): this {
    this.ensure(1);
    this.buf[this.pos++] = byte & 0xff;
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** STRING: int16 length then UTF-8 bytes. */
  string(s: string): this {
    const b = Buffer.from(s, 'utf8');
    if (b.length > 0x7fff) throw new RangeError(`string of ${b.length} bytes is too long for an int16 length`);
    return this.int16(b.length).raw(b);
  }

  /** NULLABLE_STRING: length -1 means null. */
  nullableString(s: string | null | undefined): this {
    return s == null ? this.int16(-1) : this.string(s);
  }

  /** COMPACT_STRING: unsigned varint of length + 1, then UTF-8 bytes. */
  compactString(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.unsignedVarint(b.length + 1).raw(b);
  }

  /** COMPACT_NULLABLE_STRING: 0 means null. */
  compactNullableString(s: string | null | undefined): this {
    return s == null ? this.unsignedVarint(0) : this.compactString(s);
  }

  /** ARRAY: int32 count then the items. */
  array<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const it of items) each(this, it);
    return this;
  }

  nullableArray<T>(items: readonly T[] | null | undefined, each: (w: this, item: T) => void): this {
    if (items == null) return this.int32(-1);
    return this.array(items, each);
  }

  /** COMPACT_ARRAY: unsigned varint of count + 1 then the items. */
  compactArray<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.unsignedVarint(items.length + 1);
    for (const it of items) each(this, it);
    return this;
  }

  compactNullableArray<T>(items: readonly T[] | null | undefined, each: (w: this, item: T) => void): this {
    if (items == null) return this.unsignedVarint(0);
    return this.compactArray(items, each);
  }

  /** UUID as 16 raw bytes; takes Kafka's printed form (base64url, no padding) or 32 hex digits. */
  uuid(id: string | Uint8Array | null | undefined): this {
    return this.raw(id == null ? ZERO_UUID_BYTES : typeof id === 'string' ? uuidBytes(id) : id);
  }

  /** An empty tagged-field section: we never send tagged fields. */
  emptyTaggedFields(): this {
    return this.unsignedVarint(0);
  }

  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** Reads a response body front to back; every read checks bounds and names what was being read. */
export class Reader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length) {
      throw new WireFormatError(`response ends early: needed ${n} byte(s) for ${what} at offset ${this.pos} of ${this.buf.length}`);
    }
  }

  int8(): number {
    this.need(1, 'int8');
    const v = this.buf.readInt8(this.pos);
    this.pos += 1;
    return v;
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2, 'int16');
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4, 'int32');
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  uint32(): number {
    this.need(4, 'uint32');
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8, 'int64');
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  unsignedVarint(): number {
    let value = 0;
    // Up to 5 bytes hold 32 bits; multiplication instead of << keeps values above 2^31 positive.
    for (let i = 0; i < 5; i++) {
      this.need(1, 'unsigned varint');
      const b = this.buf[this.pos++];
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return value;
    }
    throw new WireFormatError(`unsigned varint longer than 5 bytes at offset ${this.pos}`);
  }

  bytes(n: number): Buffer {
    if (n < 0) throw new WireFormatError(`negative length ${n} at offset ${this.pos}`);
    this.need(n, `${n} bytes`);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  string(): string {
    const s = this.nullableString();
    if (s === null) throw new WireFormatError(`null where a string was expected at offset ${this.pos - 2}`);
    return s;
  }

  nullableString(): string | null {
    const n = this.int16();
    return n < 0 ? null : this.bytes(n).toString('utf8');
  }

  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new WireFormatError(`null where a compact string was expected at offset ${this.pos - 1}`);
    return s;
  }

  compactNullableString(): string | null {
    const n = this.unsignedVarint();
    return n === 0 ? null : this.bytes(n - 1).toString('utf8');
  }

  array<T>(each: (r: Reader) => T): T[] {
    const a = this.nullableArray(each);
    if (a === null) throw new WireFormatError(`null where an array was expected at offset ${this.pos - 4}`);
    return a;
  }

  nullableArray<T>(each: (r: Reader) => T): T[] | null {
    const n = this.int32();
    if (n < 0) return null;
    return this.items(n, each);
  }

  compactArray<T>(each: (r: Reader) => T): T[] {
    const a = this.compactNullableArray(each);
    if (a === null) throw new WireFormatError(`null where a compact array was expected at offset ${this.pos - 1}`);
    return a;
  }

  compactNullableArray<T>(each: (r: Reader) => T): T[] | null {
    const n = this.unsignedVarint();
    if (n === 0) return null;
    return this.items(n - 1, each);
  }

  private items<T>(n: number, each: (r: Reader) => T): T[] {
    // A count larger than the bytes left is a corrupt length, not a reason to allocate gigabytes.
    if (n > this.remaining) throw new WireFormatError(`array of ${n} items cannot fit in the ${this.remaining} bytes left`);
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = each(this);
    return out;
  }

  /** A UUID in Kafka's printed form (base64url of the 16 bytes, no padding). */
  uuid(): string {
    return uuidToString(this.bytes(16));
  }

  /** Skips a tagged-field section: we know no tags, so every field is skipped by its size. */
  skipTaggedFields(): void {
    const count = this.unsignedVarint();
    for (let i = 0; i < count; i++) {
      this.unsignedVarint(); // tag
      const size = this.unsignedVarint();
      this.bytes(size);
    }
  }
}

export const ZERO_UUID_BYTES: Buffer = Buffer.alloc(16);
/** Uuid.ZERO_UUID printed as Kafka prints it. */
export const ZERO_UUID = uuidToString(ZERO_UUID_BYTES);

/** Kafka's Uuid.toString(): URL-safe base64 without padding (22 characters). */
export function uuidToString(bytes: Uint8Array): string {
  if (bytes.length !== 16) throw new WireFormatError(`a UUID has 16 bytes, not ${bytes.length}`);
  return Buffer.from(bytes).toString('base64url');
}

/** The inverse of uuidToString; also accepts 32 hex digits (with or without dashes). */
export function uuidBytes(s: string): Buffer {
  const hex = s.replace(/-/g, '');
  if (/^[0-9a-fA-F]{32}$/.test(hex)) return Buffer.from(hex, 'hex');
  if (/^[A-Za-z0-9_-]{22}$/.test(s)) {
    const b = Buffer.from(s, 'base64url');
    if (b.length === 16) return b;
  }
  throw new RangeError(`"${s}" is not a Kafka topic id (22 base64url characters)`);
}
