// Bytes from outside (feeds, news pages, probed pages) become text here, one charset logic for all of them.
export {
  type CharsetSource,
  type DecodedText,
  type DecodeOptions,
  decodeBody,
  looksLikeMojibake,
  neutraliseXmlProlog,
  type RejectedCharset,
} from './decode.js'
