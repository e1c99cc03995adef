import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppRouter } from './router';
import { lang } from './i18n/i18n';
import './styles/global.css';
import { preloadMapFonts } from './fonts';

document.documentElement.lang = lang.value === 'zh' ? 'zh-CN' : 'en';
void preloadMapFonts().then(() => createApp(App).use(createPinia()).use(createAppRouter()).mount('#app'));
