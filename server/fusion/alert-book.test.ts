import { describe, expect, it } from 'vitest';
import { makeFusedState } from '../../scenes/test-fixtures/fused-state';
import { AlertBook, ALERT_STORED } from './alert-book';
import { DEFAULT_FUSION_OPTIONS } from './options';

describe('AlertBook.list', () => {
  const [a, b] = makeFusedState().alerts;

  it('hands out the same array until the book changes, then a new one, leaving the old one untouched', () => {
    const book = new AlertBook(DEFAULT_FUSION_OPTIONS, a!.firstTs);
    book.put(a!);
    const first = book.list();
    expect(book.list()).toBe(first);
    // the very same alert again (a cleared alert seeing another normal reading) changes nothing
    expect(book.put(a!)).toBe(ALERT_STORED);
    expect(book.list()).toBe(first);
    book.put(b!);
    const second = book.list();
    expect(second).not.toBe(first);
    expect(first).toEqual([a]);
    expect(second).toEqual([a, b]);
    book.put({ ...a!, lastTs: a!.lastTs + 1 });
    expect(book.list()).not.toBe(second);
    expect(book.list()[0]!.lastTs).toBe(a!.lastTs + 1);
  });
});
