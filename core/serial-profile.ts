import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from './ids.js';

/**
 * The serial-ASCII part of a device profile: how frames are cut from the byte stream, which
 * parser reads them, and whether the device is asked (polled) or talks by itself (continuous).
 * Parsers are named, not coded per model: a new indicator that speaks one of these formats is a
 * new profile file.
 */
export const SERIAL_PARSERS = ['ad', 'mt-sics', 'toledo', 'yaohua-a12', 'yaohua-reversed', 'pattern'] as const;
export type SerialParserName = (typeof SERIAL_PARSERS)[number];

export const SerialFraming = Type.Union([
  Type.Object({ kind: Type.Literal('terminator'), terminator: Type.String({ minLength: 1, description: 'e.g. "\\r\\n"' }) }, { additionalProperties: false }),
  Type.Object(
    {
      kind: Type.Literal('stx-etx'),
      stx: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, default: 2 })),
      etx: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, default: 3, description: 'end byte; for Toledo the CR (13)' })),
      trailer: Type.Optional(Type.Integer({ minimum: 0, maximum: 4, description: 'bytes after the end byte (a checksum), part of the frame' })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      kind: Type.Literal('fixed'),
      length: Type.Integer({ minimum: 1, maximum: 256 }),
      start: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, description: 'byte every frame starts with; used to resynchronise' })),
    },
    { additionalProperties: false },
  ),
]);
export type SerialFraming = Static<typeof SerialFraming>;

export const SerialLineDefaults = Type.Object(
  {
    baudRate: Type.Optional(Type.Integer({ minimum: 50, maximum: 4_000_000 })),
    dataBits: Type.Optional(Type.Union([Type.Literal(7), Type.Literal(8)])),
    parity: Type.Optional(StringEnum(['none', 'even', 'odd'] as const)),
    stopBits: Type.Optional(Type.Union([Type.Literal(1), Type.Literal(2)])),
  },
  { additionalProperties: false },
);
export type SerialLineDefaults = Static<typeof SerialLineDefaults>;

export const SerialSpec = Type.Object(
  {
    mode: StringEnum(['polled', 'continuous'] as const, { description: 'polled: send command, read one reply; continuous: the device streams' }),
    command: Type.Optional(Type.String({ minLength: 1, description: 'polled mode: bytes sent each poll, e.g. "SI\\r\\n" (MT-SICS)' })),
    framing: SerialFraming,
    parser: StringEnum(SERIAL_PARSERS),
    pattern: Type.Optional(Type.String({ description: 'parser pattern: a regular expression with named groups value (required), unit, sign, state' })),
    stableStates: Type.Optional(Type.Array(Type.String(), { description: 'parser pattern: values of group state meaning stable' })),
    overloadStates: Type.Optional(Type.Array(Type.String(), { description: 'parser pattern: values of group state meaning overload' })),
    checksum: Type.Optional(Type.Boolean({ description: "toledo: frames carry the two's-complement checksum byte" })),
    stableOnly: Type.Optional(Type.Boolean({ description: 'publish only stable weights (default false: motion is published as status unstable)' })),
    line: Type.Optional(SerialLineDefaults),
  },
  { additionalProperties: false },
);
export type SerialSpec = Static<typeof SerialSpec>;
