// Renderer entry: picks the transport (Electron preload or web shell) and mounts the app.
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { ipcTransport } from './transport/ipc.js';
import { webTransport } from './transport/web.js';

const transport = ipcTransport() ?? webTransport();
const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target, props: { transport } });
