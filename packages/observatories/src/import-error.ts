// Errors and locations of imports: a file that cannot be read at all raises ObservatoryImportError; a
// record that is malformed becomes a RejectedRecord naming its line or JSON path, and the others go on.

export class ObservatoryImportError extends Error {
  readonly code = 'IMPORT_MALFORMED'
  /** `line 12`, `results[3]`, `data[0][1].values[7]`: where in the file the fault is. */
  readonly at: string

  constructor(
    at: string,
    message: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}${at}: ${message}`)
    this.name = 'ObservatoryImportError'
    this.at = at
  }

  withFile(file: string): ObservatoryImportError {
    return new ObservatoryImportError(this.at, this.message.replace(/^.*?: /, ''), file)
  }
}

/** A record left out of an import: where it is and what is wrong with it. */
export interface RejectedRecord {
  /** The file, when known. */
  file?: string
  /** `line 3`, `results[2]`, `data[0][1].values[4]`. */
  at: string
  message: string
}

/** A JSON document as a list of records with where each came from: a whole document, or one per JSONL line. */
export interface LocatedRecord {
  at: string
  value: unknown
}

/**
 * Parses a JSON document, or JSON Lines when the text is not one document. A JSONL line that is not JSON
 * is rejected on its own; a text none of whose lines is JSON is not JSON at all and throws.
 */
export function parseJsonOrLines(
  text: string,
): { document: unknown } | { lines: LocatedRecord[]; rejected: RejectedRecord[] } {
  try {
    return { document: JSON.parse(text) }
  } catch (documentError) {
    const lines = text.split('\n')
    const records: LocatedRecord[] = []
    const rejected: RejectedRecord[] = []
    lines.forEach((line, index) => {
      if (line.trim() === '') return
      try {
        records.push({ at: `line ${index + 1}`, value: JSON.parse(line) })
      } catch (error) {
        rejected.push({ at: `line ${index + 1}`, message: `not JSON: ${(error as Error).message}` })
      }
    })
    // A pretty-printed document with a syntax error is not JSON Lines whose first line happens to fail:
    // its first line (`{`) is not JSON and most of its lines are not either.
    const firstFailed =
      rejected.length > 0 && (records.length === 0 || lineOf(rejected[0]!) < lineOf(records[0]!))
    if (records.length === 0 || (firstFailed && rejected.length > records.length)) {
      throw new ObservatoryImportError(
        rejected[0]?.at ?? 'line 1',
        `not JSON: ${(documentError as Error).message}`,
      )
    }
    return { lines: records, rejected }
  }
}

const lineOf = (record: { at: string }) => Number(record.at.slice('line '.length))

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Thrown inside a record's parser; caught per record and turned into a RejectedRecord. */
export class RecordFault extends Error {
  constructor(
    readonly at: string,
    message: string,
  ) {
    super(message)
  }
}
