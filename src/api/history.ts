/**
 * A user's recent profile versions as the API serves them (GET /v1/users/:id/history). The entry
 * is built by src/events/history-entry.ts; the list is kept in Redis by src/store/history.ts.
 */
export { historyEntry, HISTORY_INTERESTS, HISTORY_TERMS, type HistoryEntry } from '../events/history-entry.js';
