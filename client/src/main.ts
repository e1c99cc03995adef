import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createAppRouter } from './router';
import { lang } from './i18n/i18n';
import './styles/global.css';

document.documentElement.lang = lang.value === 'zh' ? 'zh-CN' : 'en';
createApp(App).use(createPinia()).use(createAppRouter()).mount('#app');
