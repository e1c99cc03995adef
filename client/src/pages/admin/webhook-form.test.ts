import { describe, expect, it } from 'vitest';
import type { DeadLetter, OutboxEntry, PublicWebhookSubscription } from '../../data/notifications';
import {
  deadLetterEvent,
  deliveryState,
  draftFromWebhook,
  emptyWebhookDraft,
  levelsAtLeast,
  urlHost,
  validateWebhookDraft,
  webhookBody,
} from './webhook-form';

const SECRET = 'gateway-secret-0123456789';

function outbox(id: string, target: string, over: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id,
    channel: 'webhook',
    target,
    eventId: 'incident.dispatched:INC-1:v2',
    body: '{}',
    attempts: 0,
    nextAttemptTs: 1,
    createdTs: 1,
    ...over,
  };
}
function dead(id: string, target: string, deadTs: number, lastError?: string): DeadLetter {
  return { ...outbox(id, target, { attempts: 3 }), deadTs, ...(lastError ? { lastError } : {}) };
}

describe('webhook form', () => {
  it('asks for an http(s) URL without credentials and a secret of 16–200 characters on create', () => {
    const d = { ...emptyWebhookDraft(), url: 'https://gw.example.gov.cn/ioc', secret: SECRET };
    expect(validateWebhookDraft(d, 'create')).toEqual([]);
    expect(validateWebhookDraft({ ...d, url: 'ftp://gw.example' }, 'create')).toEqual(['adm.notify.err.url']);
    expect(validateWebhookDraft({ ...d, url: 'https://user:pw@gw.example' }, 'create')).toEqual(['adm.notify.err.url']);
    expect(validateWebhookDraft({ ...d, url: '  ' }, 'create')).toEqual(['adm.notify.err.url']);
    expect(validateWebhookDraft({ ...d, secret: '' }, 'create')).toEqual(['adm.notify.err.secretRequired']);
    expect(validateWebhookDraft({ ...d, secret: 'short' }, 'create')).toEqual(['adm.notify.err.secretLength']);
    expect(validateWebhookDraft({ ...d, secret: 'x'.repeat(201) }, 'create')).toEqual(['adm.notify.err.secretLength']);
    expect(validateWebhookDraft({ ...d, description: 'x'.repeat(201) }, 'create')).toEqual(['adm.notify.err.description']);
  });

  it('keeps the stored secret on an edit left blank, and rotates it when one is typed', () => {
    const d = { ...emptyWebhookDraft(), url: 'http://127.0.0.1:9/hook', secret: '' };
    expect(validateWebhookDraft(d, 'edit')).toEqual([]);
    expect(webhookBody(d, 'edit')).not.toHaveProperty('secret');
    expect(webhookBody({ ...d, secret: SECRET }, 'edit').secret).toBe(SECRET);
    expect(validateWebhookDraft({ ...d, secret: 'short' }, 'edit')).toEqual(['adm.notify.err.secretLength']);
  });

  it('sends types and districts in canonical order, trims, and leaves out an empty minimum level', () => {
    const body = webhookBody(
      {
        url: ' https://gw.example/ioc ',
        secret: SECRET,
        eventTypes: ['alert.red', 'incident.dispatched'],
        minLevel: '',
        districts: ['370213', '370202'],
        enabled: false,
        description: ' SMS ',
      },
      'create',
    );
    expect(body).toEqual({
      url: 'https://gw.example/ioc',
      secret: SECRET,
      eventTypes: ['incident.dispatched', 'alert.red'],
      districts: ['370202', '370213'],
      enabled: false,
      description: 'SMS',
    });
    expect(webhookBody({ ...emptyWebhookDraft(), url: 'https://x', secret: SECRET, minLevel: 'orange' }, 'create').minLevel).toBe('orange');
  });

  it('fills the form from a stored subscription without a secret', () => {
    const w: PublicWebhookSubscription = {
      id: 'wh-1',
      url: 'https://gw.example/ioc',
      eventTypes: ['alert.red'],
      minLevel: 'red',
      districts: ['370202'],
      enabled: true,
      description: 'SMS',
      createdTs: 1,
      updatedTs: 2,
      createdBy: 'admin',
      secretSet: true,
    };
    expect(draftFromWebhook(w)).toEqual({
      url: 'https://gw.example/ioc',
      secret: '',
      eventTypes: ['alert.red'],
      minLevel: 'red',
      districts: ['370202'],
      enabled: true,
      description: 'SMS',
    });
    expect(levelsAtLeast('orange')).toEqual(['red', 'orange']);
    expect(levelsAtLeast(undefined)).toHaveLength(4);
  });
});

describe('delivery state of a subscription', () => {
  it('reports dead letters first (with the latest error), then retries, then waiting, else nothing open', () => {
    const dl = [dead('d1', 'wh-1', 100, 'ECONNREFUSED'), dead('d2', 'wh-1', 200, 'HTTP 500'), dead('d3', 'wh-2', 300, 'x')];
    expect(deliveryState('wh-1', dl, [])).toEqual({ kind: 'dead', count: 2, ts: 200, lastError: 'HTTP 500' });
    const pending = [outbox('o1', 'wh-3', { attempts: 2, lastError: 'timeout' }), outbox('o2', 'wh-3'), outbox('o3', 'wh-4')];
    expect(deliveryState('wh-3', dl, pending)).toEqual({ kind: 'retrying', count: 2, lastError: 'timeout' });
    expect(deliveryState('wh-4', dl, pending)).toEqual({ kind: 'pending', count: 1 });
    expect(deliveryState('wh-5', dl, pending)).toEqual({ kind: 'clear' });
    // a push entry to a user named like a subscription is not the subscription's
    expect(deliveryState('wh-5', [{ ...dead('p', 'wh-5', 1), channel: 'push' }], [])).toEqual({ kind: 'clear' });
  });

  it("reads a dead letter's event from its body, or its type from the event id", () => {
    const body = JSON.stringify({ type: 'alert.red', incidentId: 'INC-9', title: { zh: '红色告警', en: 'Red alert' } });
    expect(deadLetterEvent({ body, eventId: 'alert.red:A-1' }, 'en')).toEqual({ type: 'alert.red', incidentId: 'INC-9', title: 'Red alert' });
    expect(deadLetterEvent({ body: 'not json', eventId: 'plan.started:P-1' }, 'zh')).toEqual({ type: 'plan.started' });
    expect(deadLetterEvent({ body: 'null', eventId: 'weird' }, 'zh')).toEqual({});
    expect(urlHost('http://127.0.0.1:9/hook')).toBe('127.0.0.1:9');
    expect(urlHost('nonsense')).toBe('nonsense');
  });
});
