"""Files: sendDocument, getFile and downloads."""

from __future__ import annotations

from aiohttp import web

from .content import MessageContent
from .models import JsonDict
from .records import MAX_DOWNLOAD_BYTES, MAX_UPLOAD_BYTES, ApiError, FileRecord, Params, bad_request


class FilesApi(MessageContent):
    """sendDocument, getFile and the file download endpoint."""

    def _send_document(self, params: Params) -> JsonDict:
        chat = self._resolve_chat(params)
        self._check_can_send(chat)
        record = self._input_file(params, "document")
        raw_caption = params.get_str("caption")
        parse_mode = params.get_str("parse_mode")
        caption, caption_entities = self._format(
            raw_caption, parse_mode, params.get_json("caption_entities"), caption=True
        )
        inline, other = self._parse_reply_markup(params)
        reply_to = self._resolve_reply(chat, params)
        msg = self._new_message(
            chat,
            self.bot.id,
            file_id=record.file_id,
            caption=caption or None,
            caption_entities=caption_entities,
            caption_html=raw_caption,
            parse_mode=parse_mode,
            reply_markup=inline,
            reply_keyboard=other,
            reply_to=reply_to,
        )
        self._record_event("message", msg)
        return self._message_api(msg)

    def _input_file(self, params: Params, name: str) -> FileRecord:
        upload = params.files.get(name)
        value = params.get_str(name)
        if upload is None and value and value.startswith("attach://"):
            upload = params.files.get(value[len("attach://") :])
        if upload is not None:
            if not upload.content:
                raise bad_request("file must be non-empty")
            if len(upload.content) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            return self._new_file(upload.content, upload.filename, upload.content_type, self.bot.id)
        if not value:
            raise bad_request(f"there is no {name} in the request")
        if value.startswith(("http://", "https://")):
            raise bad_request("failed to get HTTP URL content")
        record = self._files.get(value)
        if record is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return record

    def _get_file(self, params: Params) -> JsonDict:
        record = self._files.get(params.get_str("file_id") or "")
        if record is None:
            raise bad_request("invalid file_id")
        if len(record.content) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {
            "file_id": record.file_id,
            "file_unique_id": record.file_unique_id,
            "file_size": len(record.content),
            "file_path": record.file_path,
        }

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        path = request.match_info["path"]
        with self._lock:
            record = self._files_by_path.get(path) if token == self.token else None
            if record is not None:
                self._call_counts["<file download>"] += 1
                self._changed()
        if record is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(
            body=record.content, content_type=record.mime_type or "application/octet-stream"
        )
