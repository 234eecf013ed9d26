import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import {
  type App,
  AuthorizationError,
  ErrorCode,
  HTTPModuleFunctions,
  HTTPReceiver,
  type HTTPReceiverOptions,
  type ReceiverEvent,
  type ReceiverProcessEventErrorHandlerArgs,
  isCodedError,
  verifySlackRequest,
} from '@slack/bolt';
import type { Logger } from 'pino';
import { bodyProblem, timestampProblem } from './slack-request-check.js';

const SLACK_ENDPOINT = '/slack/events';
const FORM = 'application/x-www-form-urlencoded';

function refuse(res: ServerResponse, status: number, headers: Record<string, string> = {}) {
  res.writeHead(status, headers);
  res.end();
}

function isSlackRequest(req: IncomingMessage): boolean {
  try {
    return req.method === 'POST' && new URL(req.url ?? '/', 'http://localhost').pathname === SLACK_ENDPOINT;
  } catch {
    return false; // Bolt's own routing answers a URL it cannot read
  }
}

/** Slack's SSL check carries no signature; Bolt answers it without looking further. */
function isSslCheck(req: IncomingMessage, text: string): boolean {
  return req.headers['content-type'] === FORM && parseQuery(text).ssl_check === '1';
}

/**
 * Bolt's HTTP receiver, guarded against what an outsider can send and made to answer
 * within Slack's 3 seconds:
 *
 * - Before Bolt sees a request to /slack/events, the body is read once (Bolt reuses it),
 *   the timestamp must lie within five minutes either way (Bolt checks the past only),
 *   the signature must match, and the body must be a JSON object Bolt can look into.
 *   Bolt reads `body.ssl_check` outside any try, so a signed `null` would end the process.
 * - A request that no listener acknowledged gets an empty 200 as soon as Bolt has run
 *   every listener, instead of Bolt's 404 after 3 s (unknown buttons, closed modals, shortcuts).
 * - An error while Bolt looks into a body is a malformed request (400), not a 500.
 */
export class GuardedReceiver extends HTTPReceiver {
  private readonly signing: string;
  private readonly maxBody: number;
  private readonly log: Logger;

  constructor(options: HTTPReceiverOptions & { log: Logger }) {
    const log = options.log.child({ component: 'slack-receiver' });
    super({ ...options, processEventErrorHandler: (args) => answerMalformed(args, log) });
    this.signing = options.signingSecret;
    this.maxBody = typeof options.bodyLimit === 'number' ? options.bodyLimit : HTTPModuleFunctions.defaultBodyLimit;
    this.log = log;
    const bolt = this.requestListener;
    this.requestListener = (req, res) => {
      if (!isSlackRequest(req)) return bolt(req, res);
      // Whatever goes wrong with one request is that request's 500, never the process's end.
      this.guard(req, res, bolt).catch((error: unknown) => {
        this.log.error({ err: error }, 'could not handle a Slack request');
        if (!res.headersSent) refuse(res, 500);
      });
    };
  }

  override init(app: App): void {
    // Bolt calls only processEvent on the app it is given; this one acknowledges what nobody did.
    const processEvent = async (event: ReceiverEvent) => {
      await app.processEvent(event);
      await ackUnanswered(event);
    };
    super.init(Object.assign(Object.create(app) as App, { processEvent }));
  }

  private async guard(req: IncomingMessage, res: ServerResponse, bolt: (req: IncomingMessage, res: ServerResponse) => void) {
    let text: string;
    try {
      text = (await HTTPModuleFunctions.bufferIncomingMessage(req, this.maxBody)).rawBody.toString();
    } catch (error) {
      const tooLarge = HTTPModuleFunctions.isRawBodyError(error) && error.statusCode === 413;
      this.log.warn({ status: tooLarge ? 413 : 400 }, tooLarge ? `refused a Slack request over ${this.maxBody} bytes` : 'could not read a Slack request');
      // The rest of the body stays unread, so this connection cannot carry another request.
      return refuse(res, tooLarge ? 413 : 400, { connection: 'close' });
    }
    if (!isSslCheck(req, text)) {
      const unsigned = timestampProblem(req.headers['x-slack-request-timestamp'], Date.now()) ?? signatureProblem(req, text, this.signing);
      if (unsigned) {
        this.log.warn({ status: 401, reason: unsigned }, 'refused an unsigned Slack request');
        return refuse(res, 401);
      }
      const malformed = bodyProblem(req.headers['content-type'], text);
      if (malformed) {
        this.log.warn({ status: 400, reason: malformed }, 'refused a malformed Slack request');
        return refuse(res, 400);
      }
    }
    bolt(req, res);
  }
}

function signatureProblem(req: IncomingMessage, text: string, signingSecret: string): string | null {
  try {
    const signature = req.headers['x-slack-signature'];
    if (typeof signature !== 'string') return 'the request carries no x-slack-signature';
    verifySlackRequest({ signingSecret, body: text, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']) } });
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

async function ackUnanswered(event: ReceiverEvent): Promise<void> {
  try {
    await event.ack();
  } catch (error) {
    // A listener already answered: the usual case.
    if (!(error instanceof Error && isCodedError(error) && error.code === ErrorCode.ReceiverMultipleAckError)) throw error;
  }
}

async function answerMalformed({ error, response }: ReceiverProcessEventErrorHandlerArgs, log: Logger): Promise<boolean> {
  if (response.headersSent) {
    log.error({ err: error }, 'a Slack request failed after it was answered');
    return false;
  }
  if (error instanceof AuthorizationError) {
    refuse(response, 401);
    return true;
  }
  log.warn({ status: 400, err: error }, 'Bolt could not process a Slack request; its body is malformed');
  refuse(response, 400);
  return true;
}
