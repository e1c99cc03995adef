/**
 * Who the CAP 1.2 feed says issues its messages (issue 16, scenes/exports/cap.ts `CapSender`), read
 * from the environment once at start (config.ts `capSender`); unset variables keep the Qingdao
 * demo's values. A bad value refuses to start with a message naming the variable: a receiving
 * release system would reject (or mis-thread, through `references`) every message of a sender with
 * a space or a comma.
 */
import { z } from 'zod';
import { CapNameSchema, CapTokenSchema, DEFAULT_CAP_SENDER, type CapSender } from '../../scenes/exports/cap';

const EnvSchema = z.object({
  /** CAP `<sender>`: globally unique, e.g. `ioc@city.example` (no spaces, commas, < or &) */
  IOC_CAP_SENDER: CapTokenSchema.optional(),
  /** CAP `<senderName>` of the zh-CN info blocks (and the en-US ones unless the next is set) */
  IOC_CAP_SENDER_NAME: CapNameSchema.optional(),
  /** CAP `<senderName>` of the en-US info blocks */
  IOC_CAP_SENDER_NAME_EN: CapNameSchema.optional(),
  /** start of every CAP `<identifier>` (and of the Atom feed's id): a unique name of this system */
  IOC_CAP_IDENTIFIER_PREFIX: CapTokenSchema.optional(),
});

/** The CAP sender from `env`; a bad value throws `toError(message)` (config.ts: a ConfigError). */
export function capSenderFromEnv(env: NodeJS.ProcessEnv, toError: (message: string) => Error = (m) => new Error(m)): CapSender {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success)
    throw toError(`invalid CAP sender settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  const zh = e.IOC_CAP_SENDER_NAME ?? DEFAULT_CAP_SENDER.senderName.zh;
  return {
    sender: e.IOC_CAP_SENDER ?? DEFAULT_CAP_SENDER.sender,
    identifierPrefix: e.IOC_CAP_IDENTIFIER_PREFIX ?? DEFAULT_CAP_SENDER.identifierPrefix,
    // another organisation's name must not come out next to the demo's English one
    senderName: { zh, en: e.IOC_CAP_SENDER_NAME_EN ?? (e.IOC_CAP_SENDER_NAME !== undefined ? zh : DEFAULT_CAP_SENDER.senderName.en) },
  };
}
