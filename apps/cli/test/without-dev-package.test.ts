import { useTestDatabase } from '@metering/testing';
import { runCliCaptured } from './run-cli-captured';

const db = useTestDatabase(2);

// As in a production image: @metering/dev is not there, so loading it fails as a missing module
// does. doMock (not hoisted): libs/testing, loaded above, keeps the real package for the database.
beforeAll(() => {
  jest.doMock('@metering/dev', () => {
    throw Object.assign(new Error("Cannot find module '@metering/dev'"), { code: 'MODULE_NOT_FOUND' });
  });
});

describe('operator CLI without the development package', () => {
  it('runs against DATABASE_URL without loading it', async () => {
    const run = await runCliCaptured(db.current.url, ['migrate']);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('fails with a message naming DATABASE_URL when it is not set', async () => {
    const run = await runCliCaptured('', ['migrate']);

    expect(run.code).toBe(1);
    expect(run.stderr).toContain('migrate failed: DATABASE_URL is not set, and @metering/dev');
  });
});
