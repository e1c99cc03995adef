/**
 * What `/api/history/*` answers (issue 16): shared by the server's router and the client's
 * `data/history.ts`. Pure types.
 */
import type { Alert, Incident } from '../domain';
import type { AlertTimelineStep } from './alert-timeline';

interface PageFields {
  /** pass back as `cursor` for the next page; absent: nothing further matches */
  nextCursor?: string;
  /** false: the server stopped at its scan budget before filling the page; go on with `nextCursor` */
  complete: boolean;
}

/** `GET /api/history/incidents?…` */
export interface IncidentHistoryAnswer extends PageFields {
  incidents: Incident[];
}

/** `GET /api/history/alerts?…` */
export interface AlertHistoryAnswer extends PageFields {
  alerts: Alert[];
}

/** `GET /api/history/incidents/:id`: the record with its transitions (`incident.history`) and its alerts' steps. */
export interface IncidentHistoryDetail {
  incident: Incident;
  /** the alerts linked to it that the archive holds (none for a handler: alerts are not theirs to see) */
  alerts: { alert: Alert; timeline: AlertTimelineStep[] }[];
}
