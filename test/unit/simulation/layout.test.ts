import { describe, expect, it } from 'vitest';
import { framePath } from '../../../main/simulation/layout.js';

describe('acquisition layouts', () => {
  it('names TIMING frames B<block>/images/crops_8bit_s/<well>CH0/imgNo<well>CH0_t<k>.tif', () => {
    expect(framePath('timing', 1, 1, 1, 36)).toBe('B1/images/crops_8bit_s/001CH0/imgNo1CH0_t1.tif');
    expect(framePath('timing', 2, 36, 73, 36)).toBe('B2/images/crops_8bit_s/036CH0/imgNo36CH0_t73.tif');
  });

  it('names Micro-Manager multi-file frames by position and 0-based time', () => {
    expect(framePath('micromanager', 1, 1, 1, 36)).toBe('Pos000/img_channel000_position000_time000000000_z000.tif');
    expect(framePath('micromanager', 2, 3, 35, 36)).toBe('Pos038/img_channel000_position038_time000000034_z000.tif');
  });
});
