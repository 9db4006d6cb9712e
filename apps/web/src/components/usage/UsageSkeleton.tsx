/** Placeholder bars while the first usage answer is on its way. */
export function UsageSkeleton() {
  return (
    <div className="usage-skeleton" aria-busy="true" aria-live="polite">
      <span className="visually-hidden">Loading usage…</span>
      {[0, 1, 2].map((row) => (
        <div key={row} className="usage-skeleton__row" aria-hidden="true">
          <div className="usage-skeleton__line usage-skeleton__line--short" />
          <div className="usage-skeleton__line" />
        </div>
      ))}
    </div>
  );
}
