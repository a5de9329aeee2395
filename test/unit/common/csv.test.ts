import { describe, expect, it } from 'vitest';
import { splitCsvLine } from '../../../main/common/csv.js';

describe('splitCsvLine', () => {
  it('splits on commas outside quotes and unescapes doubled quotes', () => {
    expect(splitCsvLine('a, b ,c')).toEqual(['a', ' b ', 'c']);
    expect(splitCsvLine('"B1/x, y.tif",oof,"say ""hi"""')).toEqual(['B1/x, y.tif', 'oof', 'say "hi"']);
    expect(splitCsvLine('')).toEqual(['']);
    expect(splitCsvLine('a,,')).toEqual(['a', '', '']);
  });
});
