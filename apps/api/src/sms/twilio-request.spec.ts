import fc from 'fast-check';
import { classifyAnswer, messageReceipt, messageRequest } from './twilio-request';

const provider = {
  baseUrl: 'http://127.0.0.1:4010/',
  accountSid: 'AC123',
  authToken: 's3cret',
  fromNumber: '+15005550006',
};

describe('Twilio-compatible message request', () => {
  it('posts the form to the account Messages.json path with basic auth', () => {
    const req = messageRequest(provider, { to: '+4915112345678', body: 'Hi & bye = ok' }, 'run1:n1:1');
    expect(req.url).toBe('http://127.0.0.1:4010/2010-04-01/Accounts/AC123/Messages.json');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Buffer.from(req.headers.authorization.replace('Basic ', ''), 'base64').toString()).toBe(
      'AC123:s3cret',
    );
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      To: '+4915112345678',
      From: '+15005550006',
      Body: 'Hi & bye = ok',
    });
  });

  it('round-trips any body text through the form encoding', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (body) => {
        const req = messageRequest(provider, { to: '+1555', body }, 'k');
        expect(new URLSearchParams(req.body).get('Body')).toBe(body);
      }),
    );
  });

  it('retries no answer, 408, 429 and 5xx; other 4xx are final', () => {
    expect(classifyAnswer(201)).toBe('sent');
    for (const code of [null, 408, 429, 500, 503]) expect(classifyAnswer(code)).toBe('retry');
    for (const code of [400, 401, 404, 422]) expect(classifyAnswer(code)).toBe('rejected');
  });

  it('reads sid and status from the answer, not account_sid', () => {
    expect(messageReceipt('{"account_sid": "AC1", "sid": "SM9", "status": "queued", "body": "x"}')).toEqual({
      sid: 'SM9',
      status: 'queued',
    });
    expect(messageReceipt('{"account_sid": "AC1", "body": "cut off')).toEqual({ sid: null, status: null });
    expect(messageReceipt(null)).toEqual({ sid: null, status: null });
  });
});
