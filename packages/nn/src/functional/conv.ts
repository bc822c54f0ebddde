/**
 * Convolution, pooling, dropout and embedding: core's native primitives
 * (`@duet/core`'s `functional`), in PyTorch's layouts with a channels-last
 * `dataFormat` option.
 */
import { functional as CF } from '@duet/core';

export const conv1d = CF.conv1d;
export const conv2d = CF.conv2d;
export const convTranspose2d = CF.convTranspose2d;
export const maxPool1d = CF.maxPool1d;
export const maxPool2d = CF.maxPool2d;
export const avgPool1d = CF.avgPool1d;
export const avgPool2d = CF.avgPool2d;
export const adaptiveAvgPool2d = CF.adaptiveAvgPool2d;
export const dropout = CF.dropout;
export const dropout2d = CF.dropout2d;
export const embedding = CF.embedding;
export type Conv1dOptions = CF.Conv1dOptions;
export type Conv2dOptions = CF.Conv2dOptions;
export type ConvTranspose2dOptions = CF.ConvTranspose2dOptions;
export type MaxPool1dOptions = CF.MaxPool1dOptions;
export type MaxPool2dOptions = CF.MaxPool2dOptions;
export type AvgPool1dOptions = CF.AvgPool1dOptions;
export type AvgPool2dOptions = CF.AvgPool2dOptions;
export type EmbeddingOptions = CF.EmbeddingOptions;
export type IntPair = CF.IntPair;
