// The benchmark's empty Worker: it reads the body and answers every request {"type":1}, with no
// signature check and no parsing. Its PINGs are what the path to a Worker costs by itself, so
// the benchmark can say how much of the reference's PING is the Worker's own code.
export default {
  async fetch(request) {
    await request.arrayBuffer();
    return Response.json({ type: 1 });
  },
};
