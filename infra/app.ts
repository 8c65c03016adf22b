import { buildWafleetApp } from './wafleet-app.js';

buildWafleetApp();
