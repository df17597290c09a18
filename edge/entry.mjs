// The Worker's entry module: the handlers worker-build generated, exported as a plain object.
//
// worker-build's own default export is a class deriving from WorkerEntrypoint behind a Proxy,
// so workerd constructs an instance, a Proxy around it and a Proxy around its `fetch` for every
// request; on a PING that was about 4% of the Worker's CPU. What those Proxies add is a second
// route to a fresh instance after a Rust panic. The first route does not need them: on a trap,
// the abort handler the `worker` crate installs asks wasm-bindgen's glue to instantiate the
// module afresh before its next call (the end-to-end trial
// `after_a_trap_the_next_request_gets_a_fresh_instance` holds this).
import Generated from "./build/index.js";

const { fetch, scheduled } = Generated.prototype;

export default {
  fetch(request, env, ctx) {
    return fetch.call({ env, ctx }, request);
  },
  scheduled(controller, env, ctx) {
    return scheduled.call({ env, ctx }, controller);
  },
};
