// Sending an image: shown at once from the file, posted to the upload view, which
// does the LivePerson part and answers with the message's sequence.
import { bubbleFor, failBubble, registerMine } from "./bubbles.js";
import { clearError, currentDialog, root, scrollDown, showError, state, ui } from "./page.js";
import { element, isObject, keyOf } from "./util.js";

const IMAGE_TYPES = ["image/png", "image/jpeg", "image/gif"];
const MAX_IMAGE_BYTES = 3 * 1024 * 1024; // LivePerson's limit for hosted files

function imageProblem(file) {
  if (!file) return "Choose an image first.";
  if (!IMAGE_TYPES.includes(file.type)) return `“${file.name}” is not a PNG, JPEG or GIF image.`;
  if (file.size > MAX_IMAGE_BYTES) return `“${file.name}” is larger than 3 MB.`;
  return "";
}

function previewBubble(file) {
  const bubble = bubbleFor("consumer", "You", Date.now());
  const figure = element("figure", "file");
  const image = element("img");
  image.alt = file.name;
  image.src = URL.createObjectURL(file);
  figure.append(image, element("figcaption", "", file.name));
  bubble.querySelector(".body").append(figure);
  ui.transcript.append(bubble);
  scrollDown();
  return bubble;
}

async function postFile(file) {
  const body = new FormData();
  body.append("file", file);
  let response;
  try {
    response = await fetch(root.dataset.uploadUrl, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": ui.csrfToken },
    });
  } catch (error) {
    throw new Error("The upload failed: the server could not be reached.");
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok || !isObject(answer)) {
    const reason = isObject(answer) && answer.error ? answer.error : `the server answered HTTP ${response.status}`;
    throw new Error(`The image was not sent: ${reason}`);
  }
  return answer;
}

async function submitted(domEvent) {
  domEvent.preventDefault();
  const file = ui.fileInput.files[0];
  const problem = imageProblem(file);
  if (problem) return showError(problem);
  clearError();
  const bubble = previewBubble(file);
  const dialog = currentDialog();
  try {
    const answer = await postFile(file);
    if (state.mine.has(keyOf(dialog, answer.sequence))) bubble.remove();
    else registerMine(bubble, dialog, answer.sequence);
    ui.upload.reset();
  } catch (error) {
    failBubble(bubble, error.message);
    showError(error.message);
  }
}

export function startUpload() {
  ui.upload.addEventListener("submit", submitted);
}
