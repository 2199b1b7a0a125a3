// Demo chat page: the consumer side of a conversation. The server makes every
// LivePerson call; this page renders the webhook events it forwards (stream.js,
// messages.js), and sends the consumer's actions (composer.js, upload.js).
// LivePerson content is always put in the page as text (textContent), never as HTML.
import { startComposer } from "./composer.js";
import { startConsumerInfo } from "./consumer_info.js";
import { root } from "./page.js";
import { startReceipts } from "./receipts.js";
import { connect } from "./stream.js";
import { startUpload } from "./upload.js";

if (root) {
  startComposer();
  startUpload();
  startConsumerInfo();
  startReceipts();
  connect();
}
