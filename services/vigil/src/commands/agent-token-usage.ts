// The usage line of `vigil agent-token`, apart from the command so the command table loads no command.
export const USAGE =
  'vigil agent-token create --vantage ID --role in_country|outside|control [--region R] [--asn N] ' +
  '[--network-type mobile|fixed|unknown] [--network NAME] [--country CC] | list | revoke ID'
