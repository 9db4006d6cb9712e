import { keySlot } from '@metering/platform';

describe('keySlot', () => {
  it('is Redis Cluster\'s CRC16 slot, hashing only a non-empty hash tag', () => {
    // Reference values from the Redis Cluster specification.
    expect(keySlot('123456789')).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar'));
  });
});
