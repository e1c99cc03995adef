import { describe, expect, it } from 'vitest';
import { DISTRICT_CODES } from '../domain';
import { districtName, districtOf, isInQingdaoBounds, QINGDAO_BOUNDS, QINGDAO_CENTER, QINGDAO_DISTRICTS } from './districts';

describe('Qingdao districts', () => {
  it('has exactly one feature per GB/T 2260 district code', () => {
    const codes = QINGDAO_DISTRICTS.features.map((f) => f.properties.code).sort();
    expect(codes).toEqual([...DISTRICT_CODES].sort());
  });

  it('keeps every vertex inside plausible Qingdao coordinates', () => {
    const [w, s, e, n] = QINGDAO_BOUNDS;
    expect(w).toBeGreaterThan(119.4);
    expect(s).toBeGreaterThan(35.5);
    expect(e).toBeLessThan(121.45);
    expect(n).toBeLessThan(37.2);
  });

  it('places each district label point inside its own district', () => {
    for (const f of QINGDAO_DISTRICTS.features) expect(districtOf(f.properties.center)).toBe(f.properties.code);
  });

  it('puts Zhanqiao Pier (栈桥) in 市南区 even though the pier reaches past the coarse coastline', () => {
    expect(districtOf([120.318, 36.06])).toBe('370202');
  });

  it('puts the Laoshan scenic area in 崂山区', () => {
    expect(districtOf([120.62, 36.15])).toBe('370212');
  });

  it('puts downtown Jiaozhou in 胶州市', () => {
    expect(districtOf([120.03, 36.28])).toBe('370281');
  });

  it('returns null for the open Yellow Sea', () => {
    expect(districtOf([121.5, 35.5])).toBeNull();
    expect(districtOf([120.9, 35.9])).toBeNull();
  });

  it('returns null for the middle of Jiaozhou Bay, far from any shore', () => {
    expect(districtOf([120.22, 36.12])).toBeNull();
  });

  it('names districts in Chinese and English', () => {
    expect(districtName('370202', 'zh')).toBe('市南区');
    expect(districtName('370202', 'en')).toBe('Shinan');
    expect(districtName('370215', 'zh')).toBe('即墨区');
    expect(districtName('370283', 'en')).toBe('Pingdu');
  });

  it('has its centre inside the city bounds and on land', () => {
    expect(isInQingdaoBounds(QINGDAO_CENTER)).toBe(true);
    expect(districtOf(QINGDAO_CENTER)).not.toBeNull();
  });
});
