/** Limits of the reports (issue 16), in one place with their units. */
export interface ReportLimits {
  /** devices listed in 告警最多的设备 */
  topDevicesCount: number;
  /** places (assets, else districts) listed in 告警最多的地点 */
  topPlacesCount: number;
  /** handlers listed in 处置最多的人员 */
  topHandlersCount: number;
  /** closed incidents of the period listed (newest first), each linking to its after-action summary */
  closedListCount: number;
  /** contingency responses of the period listed (oldest start first; the totals count them all) */
  planResponsesListCount: number;
  /** longest custom period a report may cover, days */
  customPeriodMaxDays: number;
}

export const DEFAULT_REPORT_LIMITS: ReportLimits = {
  topDevicesCount: 10,
  topPlacesCount: 10,
  topHandlersCount: 10,
  closedListCount: 50,
  planResponsesListCount: 50,
  customPeriodMaxDays: 92,
};
