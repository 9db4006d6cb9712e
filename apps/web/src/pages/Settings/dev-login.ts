/**
 * Whether this build offers "Use demo account". Only the Vite dev server and builds made with
 * VITE_DEV_LOGIN=true (what `npm start` does outside production) include it; `npm run build:web`
 * leaves it out, and the API refuses the demo token in production anyway.
 */
export const DEV_LOGIN_ENABLED: boolean = import.meta.env.DEV || import.meta.env.VITE_DEV_LOGIN === 'true';
