/**
 * Routes of the people pages; the app router adds them to `APP_ROUTES`. `meta.roles` says who the
 * page is for (a guard may redirect others); the pages check it again and the server enforces
 * every permission regardless.
 */
import type { RouteRecordRaw } from 'vue-router';
import type { Role } from '@scenes/domain';

declare module 'vue-router' {
  interface RouteMeta {
    requiresSession?: boolean;
    /** roles that may open the page */
    roles?: Role[];
  }
}

export const PEOPLE_ROUTES: RouteRecordRaw[] = [
  {
    path: '/console',
    name: 'console',
    component: () => import('./console/ConsolePage.vue'),
    meta: { requiresSession: true, roles: ['officer', 'admin'] },
  },
  // issue 16: archived incidents and alerts (184 days); the server narrows every search to the person's scope
  {
    path: '/console/history',
    name: 'console-history',
    component: () => import('./console/HistoryPage.vue'),
    meta: { requiresSession: true, roles: ['officer', 'leader', 'admin'] },
  },
  {
    path: '/mobile',
    name: 'mobile',
    component: () => import('./mobile/MobilePage.vue'),
    meta: { requiresSession: true, roles: ['handler'] },
  },
  {
    path: '/brief',
    name: 'brief',
    component: () => import('./brief/BriefPage.vue'),
    meta: { requiresSession: true, roles: ['leader', 'admin'] },
  },
  // issue 16: 日报/周报/月报 and the after-action summary (事件总结); the server scopes every figure
  {
    path: '/reports',
    name: 'reports',
    component: () => import('./reports/ReportsPage.vue'),
    meta: { requiresSession: true, roles: ['leader', 'officer', 'admin'] },
  },
  {
    path: '/reports/incident/:id',
    name: 'incident-summary',
    component: () => import('./reports/IncidentSummaryPage.vue'),
    meta: { requiresSession: true, roles: ['leader', 'officer', 'admin'] },
  },
  {
    path: '/admin',
    name: 'admin',
    component: () => import('./admin/AdminPage.vue'),
    meta: { requiresSession: true, roles: ['admin'] },
  },
];

/** Where each role lands after signing in. */
export const HOME_BY_ROLE: Record<Role, string> = {
  screen: '/screen/overview',
  officer: '/console',
  handler: '/mobile',
  leader: '/brief',
  admin: '/console',
};
