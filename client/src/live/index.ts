/**
 * The client's live module: one socket per page, catch-up from the last seq on every
 * (re)connection, a store of cases and whistles, and hooks over it. Views use only this.
 */
export { LiveConnection, type LiveSnapshot, type LiveEventName } from './connection.ts';
export { LiveProvider } from './LiveProvider.tsx';
export { useLive, useLiveConnection, useLiveEvent, useLiveEvents, useLiveSnapshot, useStale, useWhistles, useCases, useWhistleFeed } from './hooks.ts';
export { roomsForViewer } from './rooms.ts';
