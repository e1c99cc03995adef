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
