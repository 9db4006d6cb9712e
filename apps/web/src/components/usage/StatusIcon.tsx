/**
 * Warning / limit icons as inline SVG: emoji glyphs depend on the fonts a machine has installed
 * and can render as empty boxes. Decorative only -- the text next to them carries the meaning.
 */
export function StatusIcon({ kind }: { kind: 'warning' | 'critical' }) {
  return (
    <svg className="status-icon" viewBox="0 0 20 20" width="16" height="16" aria-hidden="true" focusable="false">
      {kind === 'warning' ? (
        <path
          fill="currentColor"
          d="M8.26 2.99a2 2 0 0 1 3.48 0l6.28 11.03A2 2 0 0 1 16.28 17H3.72a2 2 0 0 1-1.74-2.98L8.26 2.99ZM10 7a1 1 0 0 0-1 1v3.5a1 1 0 1 0 2 0V8a1 1 0 0 0-1-1Zm0 8a1.1 1.1 0 1 0 0-2.2 1.1 1.1 0 0 0 0 2.2Z"
        />
      ) : (
        <path
          fill="currentColor"
          d="M10 1.8a8.2 8.2 0 1 1 0 16.4 8.2 8.2 0 0 1 0-16.4Zm0 3.7a1 1 0 0 0-1 1v4a1 1 0 1 0 2 0v-4a1 1 0 0 0-1-1Zm0 8.9a1.1 1.1 0 1 0 0-2.2 1.1 1.1 0 0 0 0 2.2Z"
        />
      )}
    </svg>
  );
}
