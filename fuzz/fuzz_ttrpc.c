/*
 * The ttrpc codec (shim/ttrpc.c): what containerd, or anything that reaches
 * the shim's socket, sends.
 *
 * Input: one byte choosing the decoder's message limit (small limits reach
 * the oversized path with small inputs), one seeding how the stream is cut
 * into reads, then the byte stream.  Each frame decoded must re-encode to the
 * header it came from; a request's body goes through ttrpc_request_parse and,
 * when it names a method of the task service, through that method's request
 * message as the shim unpacks it; every error frame the server would send
 * must parse back as a Response with that code.
 */
#include "fuzz.h"
#include "containerd/task/v2/shim.pb-c.h"
#include "shim/ttrpc.h"

static void check_request(const struct ttrpc_header *h, const uint8_t *body)
{
        const ProtobufCServiceDescriptor *svc = &containerd__task__v2__task__descriptor;
        Ttrpc__Request *r = ttrpc_request_parse(body, h->length);
        uint8_t *f;
        size_t n;

        if (!r) {
                /* The server's answer: INVALID_ARGUMENT on the same stream, itself parseable. */
                if (ttrpc_error_frame(h->stream_id, TTRPC_INVALID_ARGUMENT, "unmarshal", &f, &n) == 0) {
                        struct ttrpc_header back;
                        Ttrpc__Response *resp;
                        ttrpc_header_decode(f, &back);
                        if (back.stream_id != h->stream_id || back.length != n - TTRPC_HEADER_SIZE)
                                abort();
                        resp = ttrpc_response_parse(f + TTRPC_HEADER_SIZE, back.length);
                        if (!resp || !resp->status || resp->status->code != TTRPC_INVALID_ARGUMENT)
                                abort();
                        ttrpc__response__free_unpacked(resp, NULL);
                        free(f);
                }
                return;
        }
        ttrpc_request_metadata(r, "containerd-namespace-ttrpc");
        if (r->service && !strcmp(r->service, svc->name) && r->method)
                for (unsigned i = 0; i < svc->n_methods; i++)
                        if (!strcmp(svc->methods[i].name, r->method)) {
                                ProtobufCMessage *m = protobuf_c_message_unpack(svc->methods[i].input, NULL,
                                                                                r->payload.len, r->payload.data);
                                if (m) {
                                        /* What the shim answers with goes through the response path. */
                                        if (ttrpc_response_frame(h->stream_id | 1, m, &f, &n) == 0)
                                                free(f);
                                        protobuf_c_message_free_unpacked(m, NULL);
                                }
                        }
        ttrpc__request__free_unpacked(r, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const size_t limits[] = { 16, 64, 1024, 0 };
        struct ttrpc_decoder d;
        struct ttrpc_header h;
        const uint8_t *body;
        unsigned seed;

        if (size < 2)
                return 0;
        ttrpc_decoder_init(&d, limits[data[0] % 4]);
        seed = data[1];
        data += 2;
        size -= 2;
        while (size > 0) {
                size_t cut = 1 + (seed % 97);
                int r;

                if (cut > size)
                        cut = size;
                seed = seed * 1103515245u + 12345u;
                if (ttrpc_decoder_feed(&d, data, cut) < 0)
                        break;          /* the server drops such a client */
                data += cut;
                size -= cut;
                while ((r = ttrpc_decoder_next(&d, &h, &body)) != TTRPC_NEED_MORE) {
                        uint8_t again[TTRPC_HEADER_SIZE];
                        struct ttrpc_header back;
                        ttrpc_header_encode(again, &h);
                        ttrpc_header_decode(again, &back);
                        if (back.length != h.length || back.stream_id != h.stream_id || back.type != h.type ||
                            back.flags != h.flags)
                                abort();
                        if (r == TTRPC_OVERSIZED) {
                                if (h.length <= d.max_message || body)
                                        abort();
                                continue;
                        }
                        if (h.length > d.max_message)
                                abort();
                        if (h.type == TTRPC_TYPE_REQUEST)
                                check_request(&h, body);
                }
        }
        ttrpc_decoder_done(&d);
        return 0;
}
