package io.forkserve.worker.openai;

/** One message of a chat: its role ({@code system}, {@code user}, ...) and its text. */
public record ChatMessage(String role, String content) {}
