// The one error an import raises for a malformed file: names the file and the line or record at fault.

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

/** A JSON document as a list of records with where each came from: a whole document, or one per JSONL line. */
export interface LocatedRecord {
  at: string
  value: unknown
}

/** Parses a JSON document, or JSON Lines when the text is not one document. */
export function parseJsonOrLines(text: string): { document: unknown } | { lines: LocatedRecord[] } {
  try {
    return { document: JSON.parse(text) }
  } catch (documentError) {
    const lines = text.split('\n')
    if (lines.filter((line) => line.trim() !== '').length < 2) {
      throw new ObservatoryImportError('line 1', `not JSON: ${(documentError as Error).message}`)
    }
    const records: LocatedRecord[] = []
    lines.forEach((line, index) => {
      if (line.trim() === '') return
      try {
        records.push({ at: `line ${index + 1}`, value: JSON.parse(line) })
      } catch (error) {
        throw new ObservatoryImportError(`line ${index + 1}`, `not JSON: ${(error as Error).message}`)
      }
    })
    return { lines: records }
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
