import { EventSource } from '/dist/index.js';
import '/page/realm.js';
globalThis.runRealm(EventSource, 'module').then((log) => postMessage(log), (e) => postMessage(['failed ' + e]));
