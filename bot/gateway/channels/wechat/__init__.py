"""WeChat Official Account (公众号) and WeCom (企业微信) channels.

Routes (only for the channels whose token is configured):

- ``GET  /wechat/callback`` — URL verification: echoes ``echostr`` when
  ``signature`` is valid, 403 otherwise.
- ``POST /wechat/callback`` — a customer's message. ``signature`` is always
  checked; in safe mode (``encrypt_type=aes``) the body is decrypted and
  ``msg_signature`` checked by ``wechatpy.crypto.WeChatCrypto``, and the reply
  is encrypted the same way.
- ``GET  /wecom/callback`` — URL verification: the decrypted ``echostr``.
- ``POST /wecom/callback`` — a member's message, always encrypted
  (``wechatpy.enterprise.crypto.WeChatCrypto``).

Text messages go to ``Router.handle_customer_message`` (channel ``"wechat"``
with the openid, or ``"wecom"`` with the member's userid). The bot's replies
go back as the passive XML reply when the router answers within
``WECHAT_REPLY_TIMEOUT`` (4 s: WeChat gives up after 5 s and retries).
Otherwise the callback answers ``success`` (nothing shown) and the replies
follow through the send-message API when ready (``api.py``), in order
with any later replies to the same customer.

Everything said to the customer later — agent replies after a handoff, queue
notices, the satisfaction question — goes through the same API: ``push`` of the
channels ``OfficialAccountChannel`` and ``WeComChannel``.

WeChat shows plain text only: buttons become numbered options ("回复 1 …")
and the customer's "1" is turned back into that button's payload; images
become links.

Bad requests never reach the router: a missing or forged signature is a 403
(signatures compared in constant time), a timestamp more than 5 minutes off a
403, a plaintext POST while ``WECHAT_ENCODING_AES_KEY`` is set (safe mode) a 403,
a (timestamp, nonce) already used with another body a 403 (nonces are remembered
for the whole window by every instance: Redis or the database, ``nonces.py``), a
body that is not a WeChat message a 400. WeChat's retries of a message (same URL
and body, same MsgId) are answered without routing it twice.

Modules, by concern:

- ``channel.py`` — the two ``Channel``s (setup from ``bot.config.Settings``, ``push``);
- ``callbacks.py`` — the callback endpoints: signatures, decryption, parsing, the
  5-second passive reply, retries and late replies in order;
- ``signatures.py`` — constant-time signature checks, decryption of checked bodies;
- ``nonces.py`` — the shared memory of used nonces (replays refused);
- ``rendering.py`` — ``OutboundMessage``s as WeChat text, numbered options;
- ``api.py`` — the send-message and media APIs (wechatpy clients);
- ``media.py`` — images and videos as case evidence.
"""
