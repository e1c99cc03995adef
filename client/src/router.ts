/**
 * Routes (history mode; the server falls back to index.html). Screens need a session; a kiosk
 * may hand over `?token=` once — it is stored in sessionStorage and removed from the URL.
 * The people pages (console, mobile, brief, admin) come from pages/people-routes.ts.
 */
import { createRouter, createWebHistory } from 'vue-router';
import type { RouteLocationNormalized, RouteRecordRaw, Router } from 'vue-router';
import { SCREEN_SCENE_IDS } from '@scenes/domain';
import { loadSession, saveSession, sessionFromToken } from './auth/session';
import { HOME_BY_ROLE, PEOPLE_ROUTES } from './pages/people-routes';

export const SCREEN_PATH_PATTERN = `/screen/:scene(${SCREEN_SCENE_IDS.join('|')})`;

export const APP_ROUTES: RouteRecordRaw[] = [
  { path: '/', redirect: '/screen/overview' },
  { path: '/screen', redirect: '/screen/overview' },
  {
    path: SCREEN_PATH_PATTERN,
    name: 'screen',
    component: () => import('./pages/screen/ScreenPage.vue'),
    meta: { requiresSession: true },
  },
  { path: '/login', name: 'login', component: () => import('./pages/login/LoginPage.vue') },
  // the signed-in user's two-factor sign-in (issue 12); any role, and an enrol-only session
  { path: '/account/security', name: 'security', component: () => import('./pages/account/SecurityPage.vue'), meta: { requiresSession: true } },
  ...PEOPLE_ROUTES,
  // the admin page's audit tab has its own address (issue 12)
  { path: '/admin/audit', redirect: { path: '/admin', query: { tab: 'audit' } } },
  { path: '/:pathMatch(.*)*', redirect: '/screen/overview' },
];

/** The guard: adopt `?token=`, then send session-less visitors of protected pages to /login. */
export function sessionGuard(to: RouteLocationNormalized) {
  const token = to.query.token;
  if (typeof token === 'string' && token.length > 0) {
    saveSession(sessionFromToken(token));
    const query = { ...to.query };
    delete query.token;
    return { path: to.path, query, hash: to.hash, replace: true };
  }
  if (!to.meta.requiresSession) return true;
  const session = loadSession();
  if (!session) return { name: 'login', query: { redirect: to.fullPath } };
  // a page for other roles sends a person home (the server enforces permissions regardless)
  const roles = to.meta.roles;
  if (roles && session.role && !roles.includes(session.role)) {
    const home = HOME_BY_ROLE[session.role];
    if (home !== to.path) return { path: home, replace: true };
  }
  return true;
}

export function createAppRouter(routes: RouteRecordRaw[] = APP_ROUTES): Router {
  const router = createRouter({ history: createWebHistory(), routes });
  router.beforeEach(sessionGuard);
  return router;
}
