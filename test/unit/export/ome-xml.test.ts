import { describe, expect, it } from 'vitest';
import { buildOmeXml, escapeXml, formatIndexRanges } from '../../../main/export/ome-xml.js';

const info = {
  name: 'B1_imgNo3',
  width: 281,
  height: 281,
  sizeT: 73,
  channels: ['CH0'],
  pixelType: 'uint8' as const,
  physicalSizeUm: 0.325,
  timeIncrementS: 300,
  excludedT: [4, 5, 6, 10],
  restoredT: [2],
  description: 'policy curated & more',
};

describe('buildOmeXml', () => {
  it('describes an XYCZT stack with physical size and time increment', () => {
    const xml = buildOmeXml(info);
    expect(xml.startsWith('<?xml')).toBe(true);
    expect(xml.endsWith('</OME>')).toBe(true);
    expect(xml).toContain('DimensionOrder="XYCZT" Type="uint8" SizeX="281" SizeY="281" SizeZ="1" SizeC="1" SizeT="73"');
    expect(xml).toContain('PhysicalSizeX="0.325" PhysicalSizeXUnit="µm"');
    expect(xml).toContain('TimeIncrement="300" TimeIncrementUnit="s"');
    expect(xml).toContain('<TiffData IFD="0" PlaneCount="73"/>');
    expect(xml).toContain('<M K="excludedT">4-6,10</M>');
    expect(xml).toContain('<M K="restoredT">2</M>');
    expect(xml).toContain('policy curated &amp; more');
  });
  it('counts planes over channels', () => {
    expect(buildOmeXml({ ...info, channels: ['CH0', 'CH1'], sizeT: 3 })).toContain('PlaneCount="6"');
  });
  it('refuses impossible sizes', () => {
    expect(() => buildOmeXml({ ...info, sizeT: 0 })).toThrow(/sizeT must be a positive whole number/);
    expect(() => buildOmeXml({ ...info, physicalSizeUm: Number.NaN })).toThrow(/physicalSizeUm/);
  });
});

describe('xml helpers', () => {
  it('escapes markup', () => expect(escapeXml(`<a b="c">&'`)).toBe('&lt;a b=&quot;c&quot;&gt;&amp;&apos;'));
  it('formats index ranges', () => {
    expect(formatIndexRanges([])).toBe('');
    expect(formatIndexRanges([9, 0, 1, 2, 5, 5])).toBe('0-2,5,9');
  });
});
